"""Safety of what leaves the service: secret detection and prompt-injection hardening."""
