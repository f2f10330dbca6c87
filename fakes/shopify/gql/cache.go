package gql

import (
	"encoding/json"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultCacheSize is the number of distinct query documents a Cache keeps.
const DefaultCacheSize = 1024

// Cache remembers parsed and validated documents by schema and query text, so the
// queries a client sends over and over (the same text, other variables) are parsed and
// validated once. Variables are coerced on every request. Safe for concurrent use;
// cached documents are only read after validation.
type Cache struct {
	mu   sync.Mutex
	size int
	docs map[cacheKey]*ast.QueryDocument
}

type cacheKey struct {
	schema *ast.Schema
	query  string
}

// NewCache returns a cache of up to size documents (DefaultCacheSize if size <= 0). When
// it is full an arbitrary document makes room.
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, docs: map[cacheKey]*ast.QueryDocument{}}
}

// Prepare is Prepare with the parse and validation of known documents skipped.
// Documents that fail validation are not cached.
func (c *Cache) Prepare(schema *ast.Schema, query, operationName string, variables json.RawMessage) (*Operation, Errors) {
	k := cacheKey{schema: schema, query: query}
	c.mu.Lock()
	doc := c.docs[k]
	c.mu.Unlock()
	if doc != nil {
		return prepareDocument(schema, doc, operationName, variables)
	}
	op, errs := Prepare(schema, query, operationName, variables)
	if op != nil {
		c.mu.Lock()
		if len(c.docs) >= c.size {
			for old := range c.docs {
				delete(c.docs, old)
				break
			}
		}
		c.docs[k] = op.Doc
		c.mu.Unlock()
	}
	return op, errs
}
