"""Travel costs: straight-line matrices and road-network routing."""
