metadata(description="Signed provisioning commands", version="0.1.0")
package("kiosk/provision", base_path="../..")
