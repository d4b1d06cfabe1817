"""Local stand-ins for provider APIs: real HTTP on loopback, the providers' documented shapes."""
