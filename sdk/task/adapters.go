package task

import (
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// ObjectiveFuncs adapts plain functions to Objective, so that a script can
// define an objective without declaring a type the host has to know:
//
//	obj := &task.ObjectiveFuncs{ObjectiveName: "myobj", Model: m, Collate: c,
//		LossFunc: func(b *data.Batch) *tensor.Tensor { ... }}
type ObjectiveFuncs struct {
	ObjectiveName string
	Model         nn.Module
	Collate       data.Collator
	LossFunc      func(b *data.Batch) *tensor.Tensor
}

// Name returns ObjectiveName.
func (o *ObjectiveFuncs) Name() string { return o.ObjectiveName }

// Module returns Model.
func (o *ObjectiveFuncs) Module() nn.Module { return o.Model }

// Collator returns Collate.
func (o *ObjectiveFuncs) Collator() data.Collator { return o.Collate }

// Loss calls LossFunc.
func (o *ObjectiveFuncs) Loss(b *data.Batch) *tensor.Tensor { return o.LossFunc(b) }

// String names the objective.
func (o *ObjectiveFuncs) String() string { return "Objective(" + o.ObjectiveName + ")" }

// HeadFuncs adapts plain functions to Head.
type HeadFuncs struct {
	HeadName    string
	Model       nn.Module
	LossFunc    func(b *data.Batch) *tensor.Tensor
	PredictFunc func(b *data.Batch) *tensor.Tensor
}

// Name returns HeadName.
func (h *HeadFuncs) Name() string { return h.HeadName }

// Module returns Model.
func (h *HeadFuncs) Module() nn.Module { return h.Model }

// Loss calls LossFunc.
func (h *HeadFuncs) Loss(b *data.Batch) *tensor.Tensor { return h.LossFunc(b) }

// Predict calls PredictFunc.
func (h *HeadFuncs) Predict(b *data.Batch) *tensor.Tensor { return h.PredictFunc(b) }

// String names the head.
func (h *HeadFuncs) String() string { return "Head(" + h.HeadName + ")" }
