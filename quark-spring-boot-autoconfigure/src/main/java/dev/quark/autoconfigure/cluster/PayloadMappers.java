package dev.quark.autoconfigure.cluster;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

/**
 * The mapper the payload codec writes with: the application's JSON mapper, or a CBOR mapper carrying the same
 * modules.
 */
final class PayloadMappers {

    private PayloadMappers() {
    }

    static ObjectMapper forFormat(QuarkClusterProperties.PayloadFormat format, JsonMapper application) {
        return switch (format) {
            case JSON -> application;
            case CBOR -> cbor(application);
        };
    }

    private static ObjectMapper cbor(JsonMapper application) {
        try {
            Class.forName("tools.jackson.dataformat.cbor.CBORMapper", false, PayloadMappers.class.getClassLoader());
        }
        catch (ClassNotFoundException ex) {
            throw new IllegalStateException("quark.cluster.transport.payload-format=cbor needs Jackson's CBOR "
                    + "module: add tools.jackson.dataformat:jackson-dataformat-cbor to the application, or set "
                    + "quark.cluster.transport.payload-format=json", ex);
        }
        return Cbor.mapper(application);
    }

    /** Loaded only once Jackson's CBOR module is known to be there. */
    private static final class Cbor {

        static ObjectMapper mapper(JsonMapper application) {
            return CBORMapper.builder().addModules(application.registeredModules()).build();
        }
    }
}
