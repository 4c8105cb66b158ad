metadata(description="Serial link protocol server", version="0.1.0")
package("kiosk/link", base_path="../..")
