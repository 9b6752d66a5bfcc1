package dev.quark.autoconfigure.backend;

import org.jspecify.annotations.Nullable;

/**
 * The backend that an area, or one named store of an area, uses, and the property that chose it.
 *
 * @param area the area, for instance {@code state}
 * @param store the named store of the area, or {@code null} for the area itself
 * @param backend the backend
 * @param property the property that chose it, for instance {@code quark.backend} when the area inherits it
 */
public record BackendSelection(String area, @Nullable String store, QuarkBackend backend, String property) {

    /**
     * Returns the setting as {@code property=value}, for messages.
     * @return for instance {@code quark.persistence.backend=redis}
     */
    public String setting() {
        return this.property + "=" + this.backend.propertyValue();
    }

    /**
     * Names what uses the backend, for messages.
     * @return for instance {@code Quark's 'state' area} or {@code Quark's 'state' area (store 'audit')}
     */
    public String user() {
        return "Quark's '" + this.area + "' area" + ((this.store != null) ? " (store '" + this.store + "')" : "");
    }
}
