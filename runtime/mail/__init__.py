"""Mail the platform sends: messages in Korean and English (messages.py), delivered over SMTP
with `aiosmtplib` (smtp.py), after the transaction that made them commits."""
