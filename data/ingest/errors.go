package ingest

import (
	"errors"

	"github.com/gapmap/gapmap/planning"
)

// userMessage is err's message for users: a *planning.Error's Message, or
// the Chinese text of the readers' format errors.
func userMessage(err error) string {
	var pe *planning.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// inFile prefixes a whole-file error with the file's name.
func inFile(name string, err error) error {
	var pe *planning.Error
	if errors.As(err, &pe) {
		return &planning.Error{Code: pe.Code, Message: name + "：" + pe.Message, Err: err}
	}
	return &planning.Error{Code: planning.EInvalid, Message: name + "：" + err.Error(), Err: err}
}
