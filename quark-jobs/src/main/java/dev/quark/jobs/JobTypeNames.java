package dev.quark.jobs;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rules for job type names: what {@link JobHandler#type()} derives from a class, and which names are allowed.
 */
public final class JobTypeNames {

    /** The longest job type. */
    public static final int MAX_LENGTH = 200;

    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");

    private static final String[] SUFFIXES = { "JobHandler", "Handler", "Job" };

    private JobTypeNames() {
    }

    /**
     * Returns the job type of a handler class: its {@link JobType @JobType}, else its simple name without a
     * {@code JobHandler}, {@code Handler} or {@code Job} suffix in kebab case. A class generated around the
     * handler's class (a CGLIB proxy, whose name contains {@code $$}) counts as its superclass.
     * @param handlerClass the handler's class
     * @return the type
     * @throws IllegalArgumentException naming the class when no type can be derived (an anonymous or lambda
     * class)
     */
    public static String of(Class<?> handlerClass) {
        Class<?> type = userClass(Objects.requireNonNull(handlerClass, "handlerClass must not be null"));
        JobType annotation = type.getAnnotation(JobType.class);
        if (annotation != null) {
            return requireValid(annotation.value());
        }
        String name = type.getSimpleName();
        if (name.isEmpty() || type.isSynthetic() || type.isHidden() || name.contains("$")) {
            throw new IllegalArgumentException("Cannot derive a job type from " + type.getName()
                    + ": it has no simple name. Override JobHandler.type(), annotate the class with @JobType, or create "
                    + "the handler with JobHandler.of(type, payloadType, body)");
        }
        for (String suffix : SUFFIXES) {
            if (name.length() > suffix.length() && name.endsWith(suffix)) {
                name = name.substring(0, name.length() - suffix.length());
                break;
            }
        }
        return requireValid(kebab(name));
    }

    /**
     * Returns the job type of a bean method that is a job ({@link Recurring} on a method): its
     * {@link JobType @JobType}, else the bean class's simple name and the method's name in kebab case joined by a dot
     * ({@code Housekeeping.purgeSessions} gives {@code housekeeping.purge-sessions}). A class generated around the
     * bean's class (a CGLIB proxy) counts as its superclass.
     * @param beanClass the bean's class
     * @param method the method
     * @return the type
     * @throws IllegalArgumentException naming the method when the type is not allowed or cannot be derived
     */
    public static String of(Class<?> beanClass, Method method) {
        Objects.requireNonNull(method, "method must not be null");
        Class<?> type = userClass(Objects.requireNonNull(beanClass, "beanClass must not be null"));
        JobType annotation = method.getAnnotation(JobType.class);
        if (annotation != null) {
            return requireValid(annotation.value());
        }
        String name = type.getSimpleName();
        if (name.isEmpty() || type.isSynthetic() || type.isHidden() || name.contains("$")) {
            throw new IllegalArgumentException("Cannot derive a job type for " + type.getName() + "." + method.getName()
                    + "(): its class has no simple name. Annotate the method with @JobType");
        }
        return requireValid(kebab(name) + "." + kebab(method.getName()));
    }

    /**
     * Checks a job type.
     * @param type the type
     * @return the type
     * @throws IllegalArgumentException naming the type when it is not allowed
     */
    public static String requireValid(String type) {
        Objects.requireNonNull(type, "type must not be null");
        if (type.length() > MAX_LENGTH || !ALLOWED.matcher(type).matches()) {
            throw new IllegalArgumentException("'" + type + "' is not a job type: use letters, digits, '.', '_', ':' "
                    + "and '-', starting with a letter or a digit, at most " + MAX_LENGTH + " characters");
        }
        return type;
    }

    private static Class<?> userClass(Class<?> type) {
        Class<?> current = type;
        while (current.getName().contains("$$") && current.getSuperclass() != null
                && current.getSuperclass() != Object.class) {
            current = current.getSuperclass();
        }
        return current;
    }

    private static String kebab(String name) {
        StringBuilder kebab = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) {
                boolean afterLower = i > 0 && !Character.isUpperCase(name.charAt(i - 1));
                boolean beforeLower = i > 0 && i + 1 < name.length() && Character.isLowerCase(name.charAt(i + 1))
                        && Character.isUpperCase(name.charAt(i - 1));
                if (afterLower || beforeLower) {
                    kebab.append('-');
                }
                kebab.append(Character.toLowerCase(c));
            }
            else {
                kebab.append(c);
            }
        }
        return kebab.toString().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
