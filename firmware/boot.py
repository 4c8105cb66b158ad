# boot.py always returns: nothing here may fail or block.
