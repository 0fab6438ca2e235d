"""Canvas tools, as in Krita: a tool bar, one active tool, its options in the Tool Options panel (app/tools/base.py
has the contract; app/tools/toolbox.py keeps them)."""
