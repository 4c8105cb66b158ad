metadata(description="Device configuration, clock guard, atomic files", version="0.1.0")
package("kiosk/config", base_path="../..")
