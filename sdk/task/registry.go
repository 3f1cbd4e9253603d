package task

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ObjectiveFactory builds an objective from a config.
type ObjectiveFactory func(cfg Config) (Objective, error)

// HeadFactory builds a head over a backbone.
type HeadFactory func(backbone Backbone, cfg Config) (Head, error)

// Registry maps names to objective and head factories. Built-in, script and
// plugin objectives register into the same registry. It is safe for
// concurrent use.
type Registry struct {
	mu         sync.RWMutex
	objectives map[string]entry[ObjectiveFactory]
	heads      map[string]entry[HeadFactory]
}

type entry[F any] struct {
	factory F
	doc     string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{objectives: map[string]entry[ObjectiveFactory]{}, heads: map[string]entry[HeadFactory]{}}
}

// Default is the process-wide registry that built-in objectives and heads
// register into from init functions.
var Default = NewRegistry()

// RegisterError reports a name registered twice or an invalid name.
type RegisterError struct {
	Kind string // "objective" or "head"
	Name string
	Msg  string
}

func (e *RegisterError) Error() string {
	return fmt.Sprintf("task: cannot register %s %q: %s", e.Kind, e.Name, e.Msg)
}

// UnknownError reports a name that is not registered.
type UnknownError struct {
	Kind  string
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("task: unknown %s %q (known: %s)", e.Kind, e.Name, strings.Join(e.Known, ", "))
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// RegisterObjective adds an objective factory under name, with a one-line
// description for listings.
func (r *Registry) RegisterObjective(name, doc string, f ObjectiveFactory) error {
	if !validName(name) || f == nil {
		return &RegisterError{Kind: "objective", Name: name, Msg: "names are lower-case letters, digits, '-', '_' and '.', and the factory must not be nil"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.objectives[name]; dup {
		return &RegisterError{Kind: "objective", Name: name, Msg: "already registered"}
	}
	r.objectives[name] = entry[ObjectiveFactory]{f, doc}
	return nil
}

// RegisterHead adds a head factory under name.
func (r *Registry) RegisterHead(name, doc string, f HeadFactory) error {
	if !validName(name) || f == nil {
		return &RegisterError{Kind: "head", Name: name, Msg: "names are lower-case letters, digits, '-', '_' and '.', and the factory must not be nil"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.heads[name]; dup {
		return &RegisterError{Kind: "head", Name: name, Msg: "already registered"}
	}
	r.heads[name] = entry[HeadFactory]{f, doc}
	return nil
}

// NewObjective builds the objective registered under name.
func (r *Registry) NewObjective(name string, cfg Config) (Objective, error) {
	r.mu.RLock()
	e, ok := r.objectives[name]
	r.mu.RUnlock()
	if !ok {
		return nil, &UnknownError{Kind: "objective", Name: name, Known: r.Objectives()}
	}
	return e.factory(cfg)
}

// NewHead builds the head registered under name over backbone.
func (r *Registry) NewHead(name string, backbone Backbone, cfg Config) (Head, error) {
	r.mu.RLock()
	e, ok := r.heads[name]
	r.mu.RUnlock()
	if !ok {
		return nil, &UnknownError{Kind: "head", Name: name, Known: r.Heads()}
	}
	return e.factory(backbone, cfg)
}

// Objectives lists the registered objective names, sorted.
func (r *Registry) Objectives() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.objectives)
}

// Heads lists the registered head names, sorted.
func (r *Registry) Heads() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.heads)
}

// ObjectiveDoc returns the description an objective was registered with.
func (r *Registry) ObjectiveDoc(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.objectives[name].doc
}

// HeadDoc returns the description a head was registered with.
func (r *Registry) HeadDoc(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.heads[name].doc
}

// String summarises the registry.
func (r *Registry) String() string {
	return fmt.Sprintf("Registry(objectives=[%s] heads=[%s])", strings.Join(r.Objectives(), " "), strings.Join(r.Heads(), " "))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RegisterObjective registers into Default; see Registry.RegisterObjective.
func RegisterObjective(name, doc string, f ObjectiveFactory) error {
	return Default.RegisterObjective(name, doc, f)
}

// RegisterHead registers into Default; see Registry.RegisterHead.
func RegisterHead(name, doc string, f HeadFactory) error { return Default.RegisterHead(name, doc, f) }

// NewObjective builds a registered objective from Default.
func NewObjective(name string, cfg Config) (Objective, error) { return Default.NewObjective(name, cfg) }

// NewHead builds a registered head from Default.
func NewHead(name string, backbone Backbone, cfg Config) (Head, error) {
	return Default.NewHead(name, backbone, cfg)
}
