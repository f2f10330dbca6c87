package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Flow's "Send HTTP request" URL, header values and body are Liquid templates. This fake
// implements the part of Liquid those fields use: text with output tags
//
//	{{ productVariant.sku }}
//	{{ productVariant.sku | url_encode }}
//	{{ product.title | json }}
//
// Variables: product.id (gid), product.legacyResourceId, product.title, productVariant.id
// (gid), productVariant.legacyResourceId, productVariant.sku,
// productVariant.inventoryQuantity, productVariant.inventoryItem.id (gid),
// productVariant.inventoryItem.legacyResourceId, inventoryQuantityPrior, shop.myshopifyDomain.
// Filters, applied left to right: json (a JSON string or number) and url_encode
// (form-encoding: space as '+', everything but letters, digits and -_.~ as %XX).
// Without a filter, a string is written as is and a number in decimal. {{- and -}} trim
// the whitespace before and after the tag, as in Liquid. Tags ({% ... %}),
// unknown variables and unknown filters are configuration errors.

// ErrTemplate is wrapped by every template parse error.
var ErrTemplate = errors.New("invalid flow template")

const maxTemplateLen = 64 << 10

var templateVars = map[string]variable{
	"product.id":                                    varProductID,
	"product.legacyResourceId":                      varProductLegacyID,
	"product.title":                                 varProductTitle,
	"productVariant.id":                             varVariantID,
	"productVariant.legacyResourceId":               varVariantLegacyID,
	"productVariant.sku":                            varSKU,
	"productVariant.inventoryQuantity":              varCurrent,
	"productVariant.inventoryItem.id":               varInventoryItemID,
	"productVariant.inventoryItem.legacyResourceId": varInventoryItemLegacyID,
	"inventoryQuantityPrior":                        varPrior,
	"shop.myshopifyDomain":                          varShopDomain,
}

type templateFilter uint8

const (
	filterJSON templateFilter = iota + 1
	filterURLEncode
)

// templatePart is literal text (v == 0) or an output tag.
type templatePart struct {
	text    string
	v       variable
	filters []templateFilter
}

// template is a parsed template.
type template []templatePart

// parseTemplate parses src.
func parseTemplate(src string) (template, error) {
	if len(src) > maxTemplateLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrTemplate, maxTemplateLen)
	}
	var out template
	rest := src
	offset := 0
	trimNext := false // the previous tag ended with -}}
	for rest != "" {
		open := strings.Index(rest, "{{")
		tag := strings.Index(rest, "{%")
		if tag >= 0 && (open < 0 || tag < open) {
			return nil, fmt.Errorf("%w: Liquid tags ({%% ... %%}) are not supported (at %d)", ErrTemplate, offset+tag)
		}
		if open < 0 {
			out = appendText(out, rest, trimNext, false)
			break
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("%w: {{ at %d is not closed", ErrTemplate, offset+open)
		}
		inner := rest[open+2 : open+2+end]
		trimBefore := strings.HasPrefix(inner, "-")
		out = appendText(out, rest[:open], trimNext, trimBefore)
		trimNext = strings.HasSuffix(inner, "-") && len(inner) > 1
		if trimBefore {
			inner = inner[1:]
		}
		if trimNext {
			inner = inner[:len(inner)-1]
		}
		part, err := parseOutput(inner, offset+open)
		if err != nil {
			return nil, err
		}
		out = append(out, part)
		consumed := open + 2 + end + 2
		rest = rest[consumed:]
		offset += consumed
	}
	return out, nil
}

// appendText adds literal text, trimming whitespace on the side of a {{- or -}} tag.
func appendText(out template, text string, trimLeft, trimRight bool) template {
	if trimLeft {
		text = strings.TrimLeft(text, " \t\r\n")
	}
	if trimRight {
		text = strings.TrimRight(text, " \t\r\n")
	}
	if text == "" {
		return out
	}
	return append(out, templatePart{text: text})
}

func parseOutput(inner string, at int) (templatePart, error) {
	if strings.Contains(inner, "{{") {
		return templatePart{}, fmt.Errorf("%w: nested {{ at %d", ErrTemplate, at)
	}
	pieces := strings.Split(inner, "|")
	name := strings.TrimSpace(pieces[0])
	if name == "" {
		return templatePart{}, fmt.Errorf("%w: empty {{ }} at %d", ErrTemplate, at)
	}
	v, ok := templateVars[name]
	if !ok {
		return templatePart{}, fmt.Errorf("%w: unknown variable %q at %d", ErrTemplate, name, at)
	}
	part := templatePart{v: v}
	for _, f := range pieces[1:] {
		switch strings.TrimSpace(f) {
		case "json":
			part.filters = append(part.filters, filterJSON)
		case "url_encode":
			part.filters = append(part.filters, filterURLEncode)
		case "":
			return templatePart{}, fmt.Errorf("%w: empty filter after | at %d", ErrTemplate, at)
		default:
			return templatePart{}, fmt.Errorf("%w: unknown filter %q at %d (known: json, url_encode)", ErrTemplate, strings.TrimSpace(f), at)
		}
	}
	return part, nil
}

// render writes the template with data.
func (t template) render(f *triggerData) string {
	var b strings.Builder
	for _, p := range t {
		if p.v == 0 {
			b.WriteString(p.text)
			continue
		}
		isString := p.v.kind() == kindString
		var s string
		if isString {
			s = f.stringVar(p.v)
		} else {
			s = strconv.FormatInt(f.intVar(p.v), 10)
		}
		for _, flt := range p.filters {
			switch flt {
			case filterJSON:
				if isString {
					q, _ := json.Marshal(s)
					s = string(q)
				}
			case filterURLEncode:
				s = url.QueryEscape(s)
			}
			isString = true // every filter returns a string
		}
		b.WriteString(s)
	}
	return b.String()
}
