"""cxg-gen: YAML entity specs in, FastAPI/SQLAlchemy/Pydantic slices out."""

__version__ = "0.1.0"
