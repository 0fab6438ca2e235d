"""The Qt application. Its entry point (`__main__`) hands the headless command line (`seethrough.cli`) the
launcher of the window; nothing here is imported by the command line."""
