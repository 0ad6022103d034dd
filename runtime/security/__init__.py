"""Who is calling and what they may do: passwords and tokens, authentication, permission codes
and their cache, sign-in for both systems, rate limits and sign-in throttles."""
