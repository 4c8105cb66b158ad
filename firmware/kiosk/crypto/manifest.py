metadata(description="ES256 (P-256) and PS256 verification", version="0.1.0")
package("kiosk/crypto", base_path="../..")
