package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Every error answer carries a JSON-RPC code: a tool that ran and failed
// (a bad argument, a record not found, a store error) answers a result
// with isError and the reason; a request the protocol cannot serve
// answers an error with the code JSON-RPC and MCP give it: -32700 a line
// that is not JSON (StdioTransport), -32600 a request out of the session's
// order, -32601 an unknown method, -32602 an unknown tool or prompt,
// unreadable parameters, a cursor this server did not issue, a prompt or
// resource the caller's role may not use, -32603 anything else. The SDK
// leaves some errors without a code (0 on the wire); codes and
// CodeTransport give them theirs. (Over streamable HTTP the SDK refuses a
// request it cannot dispatch with HTTP 400 before any JSON-RPC answer.)

// codeOf is the JSON-RPC code of an error the SDK or a handler returned
// without one, judged by its message.
func codeOf(msg string) int64 {
	switch {
	case strings.Contains(msg, "invalid during session initialization"), strings.Contains(msg, `before "initialize"`),
		strings.Contains(msg, "duplicate"):
		return jsonrpc.CodeInvalidRequest
	case strings.Contains(msg, "missing required"), strings.Contains(msg, "unmarshaling"), strings.Contains(msg, "decode cursor"),
		strings.Contains(msg, "decode page token"):
		return jsonrpc.CodeInvalidParams
	}
	return jsonrpc.CodeInternalError
}

// invalidParams is a -32602 error: a request whose parameters this
// server or the caller's role cannot serve.
func invalidParams(format string, args ...any) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}

// wireError is err as a JSON-RPC error with a code.
func wireError(err error) error {
	if err == nil {
		return nil
	}
	var we *jsonrpc.Error
	if errors.As(err, &we) && we.Code != 0 {
		return err
	}
	return &jsonrpc.Error{Code: codeOf(err.Error()), Message: err.Error()}
}

// codes is the outermost receiving middleware: no error leaves a method
// handler without a code.
func codes(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		res, err := next(ctx, method, req)
		if err != nil {
			return nil, wireError(err)
		}
		return res, nil
	}
}

// CodeTransport gives a code to the errors the SDK answers before any
// method handler runs (a request before initialize, an initialize without
// parameters), on a transport whose connections it wraps (stdio).
func CodeTransport(t sdk.Transport) sdk.Transport { return codeTransport{t} }

type codeTransport struct{ sdk.Transport }

func (t codeTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	c, err := t.Transport.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return codeConn{c}, nil
}

type codeConn struct{ sdk.Connection }

func (c codeConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if r, ok := msg.(*jsonrpc.Response); ok && r.Error != nil {
		r.Error = wireError(r.Error)
	}
	return c.Connection.Write(ctx, msg)
}
