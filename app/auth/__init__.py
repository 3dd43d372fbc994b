"""Who is calling: bearer validation, principals, API keys (OAuth sealed tokens and PAT mode extend it)."""
