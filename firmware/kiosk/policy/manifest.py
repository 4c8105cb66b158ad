metadata(description="Venue policy: claims to verdict and reason", version="0.1.0")
package("kiosk/policy", base_path="../..")
