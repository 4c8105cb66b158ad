"""What the person at the door sees and hears.

`Ui(lcd, font_path, lang)` draws the screens (kiosk.ui.screens);
`feedback.Feedback(led, buzzer)` plays the LED and buzzer patterns. Both
are imported on first use, so a board without a screen never loads fonts.
"""


def __getattr__(name):
    if name == "Ui":
        from kiosk.ui.screens import Ui

        return Ui
    if name == "UiError":
        from kiosk.ui.font import UiError

        return UiError
    if name == "Feedback":
        from kiosk.ui.feedback import Feedback

        return Feedback
    raise AttributeError(name)
