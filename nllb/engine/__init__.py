"""The engine process: the only process that loads the model and touches the device."""
