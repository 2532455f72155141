"""SSH hosts: targets from ssh_config, host-key checks, one shared transport per host."""
