package dev.quark.autoconfigure.backend;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@link MissingBackendDependencyException} of any area at start-up with the dependency to add.
 */
class MissingBackendDependencyFailureAnalyzer extends AbstractFailureAnalyzer<MissingBackendDependencyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MissingBackendDependencyException cause) {
        return new FailureAnalysis(cause.getMessage(), cause.getAction(), cause);
    }
}
