"""一单两库: targets, inspectors, inspection items, their imports and exports."""
