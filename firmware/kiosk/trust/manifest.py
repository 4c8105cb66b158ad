metadata(description="Trust store, bundles, revocation", version="0.1.0")
package("kiosk/trust", base_path="../..")
