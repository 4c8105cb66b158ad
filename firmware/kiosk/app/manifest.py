metadata(description="Scan loop, tasks and recovery (watchdog, crash ring, safe mode)", version="0.1.0")
package("kiosk/app", base_path="../..")
