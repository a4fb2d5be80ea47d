"""Annual plans, sampling tasks, draws, and each organisation's copy of its policy."""
