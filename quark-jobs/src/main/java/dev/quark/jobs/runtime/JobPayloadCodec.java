package dev.quark.jobs.runtime;

import java.lang.reflect.Type;
import java.util.Objects;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobPayloadException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes job payloads as JSON and reads them back as their handler's payload type, with the application's Jackson
 * mapper, so that its modules and naming strategy apply.
 */
public final class JobPayloadCodec {

    private final ObjectMapper mapper;

    /**
     * Creates a codec.
     * @param mapper the application's mapper
     */
    public JobPayloadCodec(JsonMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
    }

    /**
     * Resolves a handler's payload type: {@link JobHandler#payloadType()}, else {@code P} as the handler's class
     * declares it.
     * @param handler the handler
     * @return the type
     * @throws IllegalArgumentException naming the handler when its class does not give {@code P}
     */
    public JavaType payloadType(JobHandler<?> handler) {
        Type explicit = handler.payloadType();
        if (explicit != null) {
            return this.mapper.getTypeFactory().constructType(explicit);
        }
        JavaType[] parameters = this.mapper.getTypeFactory()
            .findTypeParameters(this.mapper.getTypeFactory().constructType(handler.getClass()), JobHandler.class);
        if (parameters.length != 1 || parameters[0].getRawClass() == Object.class) {
            throw new IllegalArgumentException("Cannot tell the payload type of the job handler " + handler.getClass().getName()
                    + ": implement JobHandler<P> with a concrete P, override payloadType(), or create it with "
                    + "JobHandler.of(type, payloadType, body)");
        }
        return parameters[0];
    }

    /**
     * Writes a payload.
     * @param type the job type, for the message
     * @param payload the payload
     * @return the JSON
     * @throws JobPayloadException naming the type and the payload's class when it cannot be written
     */
    public String write(String type, Object payload) {
        try {
            return this.mapper.writeValueAsString(payload);
        }
        catch (JacksonException ex) {
            throw new JobPayloadException("The payload of a '" + type + "' job, a " + payload.getClass().getName()
                    + ", cannot be written as JSON: " + ex.getOriginalMessage(), ex);
        }
    }

    /**
     * Reads a payload.
     * @param id the job, for the message
     * @param type the job type, for the message
     * @param payloadType the handler's payload type
     * @param json the payload as stored
     * @return the payload
     * @throws JobPayloadException naming the job, its type and the payload type when it cannot be read
     */
    public Object read(JobId id, String type, JavaType payloadType, String json) {
        try {
            Object payload = this.mapper.readValue(json, payloadType);
            if (payload == null) {
                throw new JobPayloadException("The payload of job " + id + " (" + type + ") is null", new NullPointerException());
            }
            return payload;
        }
        catch (JacksonException ex) {
            throw new JobPayloadException("The payload of job " + id + " (" + type + ") cannot be read as "
                    + payloadType.toCanonical() + ", the payload type of its handler: " + ex.getOriginalMessage(), ex);
        }
    }

    /**
     * Reads a payload declared in code as JSON text (a recurring job's {@code @Recurring(payload = ...)}).
     * @param type the job type, for the message
     * @param payloadType the handler's payload type
     * @param json the JSON
     * @return the payload
     * @throws IllegalArgumentException naming the JSON, the type and the payload type when it cannot be read
     */
    public Object readDeclared(String type, JavaType payloadType, String json) {
        try {
            Object payload = this.mapper.readValue(json, payloadType);
            if (payload == null) {
                throw new IllegalArgumentException("The payload '" + json + "' of a '" + type + "' job reads as null");
            }
            return payload;
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("The payload '" + json + "' of a '" + type + "' job cannot be read as "
                    + payloadType.toCanonical() + ": " + ex.getOriginalMessage(), ex);
        }
    }

    @Override
    public String toString() {
        return "JobPayloadCodec[" + this.mapper.getClass().getSimpleName() + "]";
    }
}
