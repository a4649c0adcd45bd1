"""Rules-as-code calculator for Chinese S&T subsidy and consortium policies."""
