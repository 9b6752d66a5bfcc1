package dev.quark.state;

import java.lang.reflect.Type;

/**
 * Converts state values to and from the JSON documents that {@link StateStore}s keep. The default,
 * {@link JsonStateSerializer}, uses Jackson; under Spring Boot it uses the application's {@code JsonMapper}.
 */
public interface StateSerializer {

    /**
     * Writes a value as a JSON document.
     * @param value the value
     * @param type the state's declared value type
     * @return the document
     * @throws Exception when the value cannot be written
     */
    String serialize(Object value, Type type) throws Exception;

    /**
     * Reads a JSON document as a value of the state's type.
     * @param payload the document
     * @param type the state's declared value type
     * @return the value, never {@code null}
     * @throws Exception when the document is not a valid value of the type
     */
    Object deserialize(String payload, Type type) throws Exception;
}
