"""The directory: accounts (MSPs, partners, direct customers), tenants, people and agents."""
