"""Who may call the APIs: OPD tokens, web client keys, tracking secrets (hashed credentials)."""
