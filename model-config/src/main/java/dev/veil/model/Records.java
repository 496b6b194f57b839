package dev.veil.model;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Copies of a record with some components replaced: the one mechanism behind the with-ers of Veil's config and option
 * records ({@link ModelConfig}, the server, gateway, Talaria and setup-authority options), which each spelled out every
 * component again (Java has no with-expression yet). Lives here, the lowest module every user depends on. The copy goes
 * through the canonical constructor, so the record's own checks run on it; a wrong name or type fails at once.
 */
public final class Records {

    private Records() {}

    /**
     * {@code record} with the components named in {@code changes} replaced: {@code changes} alternates a component
     * name and its new value, e.g. {@code with(options, "host", host, "port", port)}.
     */
    @SuppressWarnings("unchecked")
    public static <R extends Record> R with(R record, Object... changes) {
        if (changes.length % 2 != 0)
            throw new IllegalArgumentException("changes come in (component name, value) pairs, got " + changes.length);
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                var accessor = components[i].getAccessor();
                accessor.setAccessible(true);
                values[i] = accessor.invoke(record);
            }
            for (int c = 0; c < changes.length; c += 2) {
                int i = index(record, components, changes[c]);
                Object value = changes[c + 1];
                if (value == null ? types[i].isPrimitive() : !boxed(types[i]).isInstance(value))
                    throw new IllegalArgumentException(record.getClass().getSimpleName() + "." + changes[c] + " is a "
                            + types[i].getSimpleName() + ", not "
                            + (value == null ? "null" : value.getClass().getSimpleName()));
                values[i] = value;
            }
            Constructor<?> canonical = record.getClass().getDeclaredConstructor(types);
            canonical.setAccessible(true);
            return (R) canonical.newInstance(values);
        } catch (InvocationTargetException e) {
            // the record's own check refused the copy: its message, unchanged
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy " + record.getClass().getName(), e);
        }
    }

    private static int index(Record record, RecordComponent[] components, Object name) {
        for (int i = 0; i < components.length; i++) if (components[i].getName().equals(name)) return i;
        throw new IllegalArgumentException(record.getClass().getSimpleName() + " has no component '" + name
                + "' (it has "
                + Arrays.stream(components).map(RecordComponent::getName).toList() + ")");
    }

    private static Class<?> boxed(Class<?> type) {
        return MethodType.methodType(type).wrap().returnType();
    }
}
