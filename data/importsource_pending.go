package data

import "github.com/gapmap/gapmap/planning"

func openGeoPackage(path, displayName string) (importSource, sourceInfo, error) {
	return nil, sourceInfo{}, planning.Errorf(planning.EInvalid, "GeoPackage pending")
}

func openOSM(path, displayName, layer string) (importSource, sourceInfo, error) {
	return nil, sourceInfo{}, planning.Errorf(planning.EInvalid, "OSM pending")
}
