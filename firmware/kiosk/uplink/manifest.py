metadata(description="Wi-Fi uplink: scan records to the fleet over MQTT, trust updates from it", version="0.1.0")
package("kiosk/uplink", base_path="../..")
