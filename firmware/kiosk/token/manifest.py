metadata(description="HC1, Base45, zlib, CBOR, COSE_Sign1, CWT", version="0.1.0")
package("kiosk/token", base_path="../..")
