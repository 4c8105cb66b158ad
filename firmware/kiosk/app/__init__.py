"""The kiosk application: configuration, the scan loop and its tasks."""
