package dev.quark.autoconfigure;

import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Opens the package-private failure analyzer to tests in other packages.
 */
public final class MissingBackendDependencyFailureAnalyzerAccess {

    public FailureAnalysis analyze(MissingBackendDependencyException failure) {
        return new MissingBackendDependencyFailureAnalyzer().analyze(failure, failure);
    }
}
