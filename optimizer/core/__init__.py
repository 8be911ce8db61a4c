"""The foundation every layer may use: errors, atomic writes, the results contract, the policy base."""
