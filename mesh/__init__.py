"""The mesh: topology of the services, and the launcher that runs them."""
