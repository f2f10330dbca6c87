package netsuite

import "time"

// ReasonOrderShipment names, in StockMoves, an item fulfillment of a sales order (a
// Shopify order shipped): its pushed inventory.changed says "fulfillment", as another
// channel's sale does, but a checker must tell the two apart.
const ReasonOrderShipment = "salesOrderFulfillment"

// maxStockMoves bounds the record of on-hand changes kept for StockMoves.
const maxStockMoves = 1 << 20

// StockMove is one change of an item's on-hand quantity at a location.
type StockMove struct {
	SKU      string
	Location int // 0-based index
	At       time.Time
	// Delta is the change; OnHand the location's on-hand quantity after it.
	Delta, OnHand int64
	// Reason is ReasonReceipt, ReasonAdjustment, ReasonFulfillment (another channel's
	// sale), ReasonMassUpdate, ReasonOrderShipment, or "adjustment" for the admin API.
	Reason string
}

// stockLog is the record of on-hand changes; guarded by Server.mu.
type stockLog struct {
	moves   []StockMove
	dropped int64
}

func (l *stockLog) add(m StockMove) {
	if m.Delta == 0 {
		return
	}
	if len(l.moves) >= maxStockMoves {
		l.dropped++
		return
	}
	l.moves = append(l.moves, m)
}

// StockMoves returns every change of on-hand quantity since the start (or the last
// reset), in the order they happened, and how many were not kept once the record was
// full. Starting stock is Catalog's minus the moves' deltas.
func (s *Server) StockMoves() ([]StockMove, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StockMove(nil), s.stock.moves...), s.stock.dropped
}
