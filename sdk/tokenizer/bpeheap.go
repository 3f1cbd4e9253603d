package tokenizer

// heapItem is a candidate merge of the node at pos with its right
// neighbour, valid while their ids are still l and r.
type heapItem struct {
	rank, pos, l, r, id int32
}

// mergeHeap is a binary min-heap on (rank, pos), written out to avoid the
// boxing of container/heap.
type mergeHeap []heapItem

func (h heapItem) less(o heapItem) bool {
	return h.rank < o.rank || h.rank == o.rank && h.pos < o.pos
}

func (h *mergeHeap) push(it heapItem) {
	*h = append(*h, it)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a[i].less(a[p]) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *mergeHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		m := l
		if r := l + 1; r < len(a) && a[r].less(a[l]) {
			m = r
		}
		if !a[m].less(a[i]) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// mergeWordHeap gives the same result as the quadratic scan in
// O(n log n): a linked list of nodes and a heap of candidate merges with
// lazy invalidation.
func (b *BPE) mergeWordHeap(piece string, st *bpeState) []int {
	n := len(piece)
	ids := st.ids[:0]
	for i := 0; i < n; i++ {
		ids = append(ids, b.byteID[piece[i]])
	}
	links := st.links[:0]
	for i := 0; i < n; i++ {
		links = append(links, int32(i-1), int32(i+1)) // prev, next
	}
	h := st.heap[:0]
	pushPair := func(i, j int) {
		if m := b.lookup(ids[i], ids[j]); m.rank != noRank {
			h.push(heapItem{rank: m.rank, pos: int32(i), l: int32(ids[i]), r: int32(ids[j]), id: m.id})
		}
	}
	for i := 0; i+1 < n; i++ {
		pushPair(i, i+1)
	}
	for len(h) > 0 {
		it := h.pop()
		i := int(it.pos)
		if ids[i] != int(it.l) {
			continue
		}
		j := int(links[2*i+1])
		if j >= n || ids[j] != int(it.r) {
			continue
		}
		ids[i] = int(it.id)
		ids[j] = -1
		k := int(links[2*j+1])
		links[2*i+1] = int32(k)
		if k < n {
			links[2*k] = int32(i)
			pushPair(i, k)
		}
		if p := int(links[2*i]); p >= 0 {
			pushPair(p, i)
		}
	}
	res := st.res[:0]
	for i := 0; i < n; i = int(links[2*i+1]) {
		res = append(res, ids[i])
	}
	st.ids, st.links, st.heap, st.res = ids, links, h, res
	return res
}
