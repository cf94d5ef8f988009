"""One router per domain; each is thin: parse, authorise, call the domain, format."""
