// Package privileged holds the yaegi symbol tables of standard packages a
// plugin may import only when the user grants the matching permission
// (see package plugins). It is generated with package symbols.
package privileged

import "reflect"

// Symbols maps "importpath/name" to exported symbols, as symbols.Symbols.
var Symbols = map[string]map[string]reflect.Value{}
