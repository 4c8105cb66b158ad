metadata(description="Screens, fonts, LED and sound feedback", version="0.1.0")
package("kiosk/ui", base_path="../..")
