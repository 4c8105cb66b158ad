metadata(description="Scan loop, tasks and recovery (watchdog, crash ring, safe mode)", version="0.1.0")
for _p in ("config", "crypto", "link", "policy", "provision", "qr", "records", "token", "trust", "ui", "uplink"):
    require(_p, library="kiosk")
package("kiosk/app", base_path="../..")
