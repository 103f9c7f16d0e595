# Stub: issue 4 fills this module (the settings_sync function and its role).
