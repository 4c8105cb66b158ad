metadata(description="Privacy-safe scan records in a power-safe log", version="0.1.0")
package("kiosk/records", base_path="../..")
