package dashboards

// EveryWidget is a layout with every widget of the catalog, for the
// external tests.
var EveryWidget = everyWidget
