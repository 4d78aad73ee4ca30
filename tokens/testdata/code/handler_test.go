package orders

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type orderRequest struct {
	CustomerID string      `json:"customer_id"`
	Items      []orderItem `json:"items"`
	Coupon     string      `json:"coupon,omitempty"`
	DeliverBy  *time.Time  `json:"deliver_by,omitempty"`
}

type orderItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type fakeStore struct {
	stock  map[string]int
	orders []orderRequest
}

func (s *fakeStore) Reserve(sku string, qty int) error {
	if s.stock[sku] < qty {
		return ErrOutOfStock
	}
	s.stock[sku] -= qty
	return nil
}

func (s *fakeStore) Save(o orderRequest) (string, error) {
	s.orders = append(s.orders, o)
	return "ord_" + strings.Repeat("0", 5) + string(rune('0'+len(s.orders))), nil
}

func TestCreateOrder(t *testing.T) {
	tomorrow := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		body       any
		stock      map[string]int
		wantStatus int
		wantError  string
	}{
		{
			name: "single item",
			body: orderRequest{
				CustomerID: "cus_123",
				Items:      []orderItem{{SKU: "BOOK-001", Quantity: 1}},
			},
			stock:      map[string]int{"BOOK-001": 10},
			wantStatus: http.StatusCreated,
		},
		{
			name: "several items with delivery date",
			body: orderRequest{
				CustomerID: "cus_456",
				Items: []orderItem{
					{SKU: "MUG-RED", Quantity: 2},
					{SKU: "MUG-BLUE", Quantity: 2},
					{SKU: "TEA-EARLGREY-250G", Quantity: 1},
				},
				DeliverBy: &tomorrow,
			},
			stock:      map[string]int{"MUG-RED": 5, "MUG-BLUE": 2, "TEA-EARLGREY-250G": 40},
			wantStatus: http.StatusCreated,
		},
		{
			name:       "out of stock",
			body:       orderRequest{CustomerID: "cus_789", Items: []orderItem{{SKU: "LAMP-01", Quantity: 3}}},
			stock:      map[string]int{"LAMP-01": 1},
			wantStatus: http.StatusConflict,
			wantError:  "out of stock",
		},
		{
			name:       "no items",
			body:       orderRequest{CustomerID: "cus_000"},
			wantStatus: http.StatusBadRequest,
			wantError:  "at least one item",
		},
		{
			name:       "malformed body",
			body:       "{not json",
			wantStatus: http.StatusBadRequest,
			wantError:  "invalid JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{stock: tt.stock}
			h := NewHandler(store)

			var buf bytes.Buffer
			if s, ok := tt.body.(string); ok {
				buf.WriteString(s)
			} else if err := json.NewEncoder(&buf).Encode(tt.body); err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/v1/orders", &buf)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantError != "" && !strings.Contains(rec.Body.String(), tt.wantError) {
				t.Errorf("body %q does not mention %q", rec.Body, tt.wantError)
			}
			if tt.wantStatus == http.StatusCreated && len(store.orders) != 1 {
				t.Errorf("saved %d orders, want 1", len(store.orders))
			}
		})
	}
}
